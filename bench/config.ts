import type { HttpParameters } from './http.ts'

/** How much work each figure does: the full table, or `--scale small` (under two minutes in all). */
export type Scale = 'full' | 'small'

export interface ScaleParameters {
  /** Seconds spent on each rate of the durable-commit bound (commits/s, round trips/s). */
  boundSeconds: number
  /**
   * One client: sequential lifecycles after a warm-up of at least `warmup` lifecycles, continued
   * until the rate is steady (bench/workers/lifecycle-worker.mjs). 20 warm-ups left the rate ~18%
   * below its steady state (issue 15).
   */
  oneClient: { warmup: number; count: number }
  /** N worker processes released together, each on its own processes. */
  clients: { workers: number; warmup: number; countPerWorker: number }
  /** M worker processes starting the same process per round. */
  contention: { workers: number; warmupRounds: number; rounds: number }
  /** Extracts seeded by bulk SQL, `perLocation` ready ones in each of `locations`. */
  finders: { locations: number; perLocation: number; findSamples: number; claimSamples: number; claimLimit: number }
  /** start + complete of a process with `bigRuns` past runs vs one with `smallRuns`. */
  history: { bigRuns: number; smallRuns: number; samples: number }
  /** Files in the folder `registerExtractsByLocation` registers (twice: new, then already registered). */
  registration: { files: number }
  /** The HTTP section: keep-alive clients of `processtracker serve`, and runs in the table for GET /api/v1/runs. */
  http: HttpParameters
  /** Lineage on (receiver down) vs off: `rounds` one-client runs on between `rounds + 1` off (bench/lineage-rate.ts). */
  lineage: { rounds: number }
}

export const SCALES: Record<Scale, ScaleParameters> = {
  full: {
    boundSeconds: 3,
    oneClient: { warmup: 300, count: 500 },
    clients: { workers: 8, warmup: 300, countPerWorker: 200 },
    contention: { workers: 16, warmupRounds: 3, rounds: 200 },
    finders: { locations: 10_000, perLocation: 100, findSamples: 500, claimSamples: 200, claimLimit: 10 },
    history: { bigRuns: 100_000, smallRuns: 10, samples: 200 },
    registration: { files: 100_000 },
    http: { clients: 8, warmupPerClient: 100, countPerClient: 200, runs: 1_000_000, samples: 500 },
    lineage: { rounds: 2 },
  },
  small: {
    boundSeconds: 1,
    oneClient: { warmup: 100, count: 200 },
    clients: { workers: 8, warmup: 100, countPerWorker: 40 },
    contention: { workers: 16, warmupRounds: 2, rounds: 30 },
    finders: { locations: 1_000, perLocation: 100, findSamples: 200, claimSamples: 100, claimLimit: 10 },
    history: { bigRuns: 100_000, smallRuns: 10, samples: 50 },
    registration: { files: 10_000 },
    http: { clients: 8, warmupPerClient: 30, countPerClient: 25, runs: 100_000, samples: 200 },
    lineage: { rounds: 1 },
  },
}
