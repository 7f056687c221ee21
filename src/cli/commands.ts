// The list of `heed` subcommands. Each command's body lives in its own file; this is where they are registered.
import { backupCommand } from './backup.ts';
import { checkCommand } from './check.ts';
import { configSchemaCommand } from './config-schema.ts';
import { demoCommand } from './demo.ts';
import { digestCommand } from './digest.ts';
import { doctorCommand } from './doctor.ts';
import { migrateCommand } from './migrate.ts';
import { nudgeCommand } from './nudge.ts';
import { startCommand } from './start.ts';
import { statusCommand } from './status.ts';
import { syncCommand } from './sync.ts';

export type CliIo = { out: (text: string) => void; err: (text: string) => void };

export type CommandContext = {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
  io: CliIo;
};

export type Command = {
  name: string;
  summary: string;
  usage?: string;
  description?: string;
  options?: Record<string, { type: 'string' | 'boolean'; help: string }>;
  positionals?: { min: number; max: number };
  run(context: CommandContext): Promise<number>;
};

export const COMMANDS: Command[] = [
  startCommand,
  migrateCommand,
  syncCommand,
  checkCommand,
  nudgeCommand,
  digestCommand,
  demoCommand,
  doctorCommand,
  statusCommand,
  backupCommand,
  configSchemaCommand,
];
