// Prompts (enquirer), shown only on an interactive terminal. Without one, or with CI=true
// or --yes, every choice takes its default and nothing waits for input.
import { WorkbookError } from './errors.ts'
import { pauseSpinner } from './output.ts'

export function isInteractive(yes: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return process.stdin.isTTY === true && process.stdout.isTTY === true && !yes && !['1', 'true'].includes(env.CI ?? '')
}

async function enquirer() {
  pauseSpinner()
  return (await import('enquirer')).default
}

export async function askValue<T>(question: string, initial: string, parse: (value: string) => T): Promise<T> {
  const { prompt } = await enquirer()
  const { answer } = await prompt<{ answer: string }>({
    type: 'input',
    name: 'answer',
    message: question,
    initial,
    validate: (value: string) => {
      try {
        parse(value)
        return true
      } catch (error) {
        return error instanceof WorkbookError ? `${error.message}: ${error.fix ?? ''}` : String(error)
      }
    },
  })
  return parse(answer)
}

export async function askChoice<T extends string>(question: string, choices: readonly T[], initial: T): Promise<T> {
  const { prompt } = await enquirer()
  const { answer } = await prompt<{ answer: T }>({
    type: 'select',
    name: 'answer',
    message: question,
    choices: [...choices],
    initial: choices.indexOf(initial),
  } as never)
  return answer
}

export async function askYesNo(question: string, initial: boolean): Promise<boolean> {
  const { prompt } = await enquirer()
  const { answer } = await prompt<{ answer: boolean }>({ type: 'confirm', name: 'answer', message: question, initial })
  return answer
}
