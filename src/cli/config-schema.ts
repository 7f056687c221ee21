import { policyJsonSchema } from '../config.ts';
import type { Command } from './commands.ts';

export const configSchemaCommand: Command = {
  name: 'config-schema',
  summary: 'Print the JSON Schema of the policy file (for editor autocompletion)',
  description: 'Save it and reference it from your policy file: { "$schema": "./heed.schema.json", … }',
  run: async ({ io }) => {
    io.out(JSON.stringify(policyJsonSchema(), null, 2));
    return 0;
  },
};
