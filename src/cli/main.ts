// The `heed` command frame: finds the subcommand, parses its flags, prints --help, and is the one error
// boundary of the command line (an AppError prints its message and fix; anything else its stack).
import { parseArgs } from 'node:util';
import { isAppError } from '../errors.ts';
import { type CliIo, COMMANDS, type Command } from './commands.ts';

const defaultIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'heed — no customer waits unnoticed. Watches HubSpot tickets and feedback, nudges your Slack channels.',
    '',
    'Usage: heed <command> [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `heed <command> --help` for its options. Configuration: environment variables (see .env.example)',
    'and the policy file named by HEED_CONFIG (default ./heed.config.json).',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const lines = [`Usage: heed ${command.name}${command.usage ? ` ${command.usage}` : ''}`, '', command.summary];
  if (command.description) lines.push('', command.description);
  const options = Object.entries(command.options ?? {});
  if (options.length > 0) {
    lines.push('', 'Options:');
    for (const [name, option] of options) {
      const flag = `--${name}${option.type === 'string' ? ' <value>' : ''}`;
      lines.push(`  ${flag.padEnd(22)} ${option.help}`);
    }
  }
  lines.push(`  ${'--help'.padEnd(22)} show this help`);
  return lines.join('\n');
}

export async function main(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(overview());
    return name ? 0 : 2;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    io.err(`heed: unknown command "${name}".\n\n${overview()}`);
    return 2;
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: rest,
      allowPositionals: command.positionals !== undefined,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(
          Object.entries(command.options ?? {}).map(([key, option]) => [key, { type: option.type }]),
        ),
      },
    });
  } catch (error) {
    io.err(`heed ${command.name}: ${(error as Error).message}\n\n${commandHelp(command)}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(commandHelp(command));
    return 0;
  }
  const positionals = parsed.positionals ?? [];
  if (
    command.positionals !== undefined &&
    (positionals.length < command.positionals.min || positionals.length > command.positionals.max)
  ) {
    io.err(`heed ${command.name}: wrong number of arguments.\n\n${commandHelp(command)}`);
    return 2;
  }
  try {
    return await command.run({ values: parsed.values, positionals, io });
  } catch (error) {
    if (isAppError(error)) {
      io.err(`heed ${command.name}: ${error.describe()}`);
      return 1;
    }
    io.err(`heed ${command.name}: unexpected error: ${(error as Error)?.stack ?? String(error)}`);
    return 1;
  }
}
