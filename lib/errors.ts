// A WorkbookError is a failure the user can act on: what went wrong, then what to do.
// lib/step.ts prints it as one line (plus the fix) and exits non-zero; no stack trace.
export class WorkbookError extends Error {
  readonly fix: string | undefined

  constructor(message: string, fix?: string) {
    super(message)
    this.name = 'WorkbookError'
    this.fix = fix
  }
}

export function fail(message: string, fix?: string): never {
  throw new WorkbookError(message, fix)
}
