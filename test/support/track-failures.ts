// vitest setupFiles entry: every test file counts its failures (see failures.ts).
import { trackFailures } from './failures.ts'

trackFailures()
