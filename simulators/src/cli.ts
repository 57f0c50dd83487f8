import { helpText, parseCommandArgs, UsageError, type Command } from './cli/args'
import { evaluateCommand } from './cli/evaluate-command'
import { loadCommand } from './cli/load-command'
import { policeCommand } from './cli/police-command'
import { runCommand } from './cli/run-command'
import { seedCommand } from './cli/seed-command'

/** `npm run sim -- <command>`: the eldergate device simulators and the police receiver. */
const COMMANDS: Command[] = [seedCommand, runCommand, policeCommand, loadCommand, evaluateCommand]

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2
  return [
    'npm run sim -- <command> [options]', '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}${c.summary.split('\n')[0]}`),
    '', 'npm run sim -- <command> --help  for the options of each.',
  ].join('\n')
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    console.log(overview())
    return name === undefined ? 2 : 0
  }
  const command = COMMANDS.find((c) => c.name === name)
  if (!command) {
    console.error(`unknown command '${name}'\n\n${overview()}`)
    return 2
  }
  try {
    const values = parseCommandArgs(command, rest)
    if (values === 'help') {
      console.log(helpText(command))
      return 0
    }
    await command.run(values)
    return 0
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`${command.name}: ${err.message}\n\n${helpText(command)}`)
      return 2
    }
    console.error(`${command.name} failed: ${(err as Error).message}`)
    return 1
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    console.error(err)
    process.exitCode = 1
  },
)
