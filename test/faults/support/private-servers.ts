import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chownSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import mysql from 'mysql2/promise'
import pg from 'pg'

/**
 * Private database servers for the fault suite: a PostgreSQL 15 and a MariaDB of our own, on free
 * ports with their own data folders, so restarting, freezing or killing them never touches the
 * shared servers (127.0.0.1:5432 / :3306). Every signal goes to a PID this module started (or a
 * child of one), never to a process found by name.
 */
export interface PrivateServer {
  readonly kind: 'postgresql' | 'mysql'
  /** A URL for `DataStore.open`, to the database `faults`. */
  readonly url: string
  readonly port: number
  /** The server's main PID (changes on restart). */
  pid(): number
  /** Runs one statement on a fresh administrative connection. */
  sql(text: string): Promise<Record<string, unknown>[]>
  /** Restarts the server: `fast` (clean), `immediate` (no checkpoint), `kill` (SIGKILL, crash recovery). */
  restart(mode: 'fast' | 'immediate' | 'kill'): Promise<void>
  /** Stops every process of the server with SIGSTOP (a frozen machine). */
  freeze(): void
  thaw(): void
  /** Ends every client connection of the `faults` database but the caller's own. */
  killConnections(): Promise<number>
  stop(): Promise<void>
}

export const POSTGRES_BIN = '/usr/lib/postgresql/15/bin'

/** Whether this machine can run the private servers (the binaries exist and we may become postgres). */
export function privateServersAvailable(): { postgresql: boolean; mysql: boolean } {
  const has = (command: string, args: string[]) => {
    try {
      execFileSync(command, args, { stdio: 'ignore' })
      return true
    } catch {
      return false
    }
  }
  return {
    postgresql: has(`${POSTGRES_BIN}/postgres`, ['--version']) && has('id', ['-u', 'postgres']),
    mysql: has('mariadbd', ['--version']) && has('sh', ['-c', 'command -v mariadb-install-db']),
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => {
        resolve(port)
      })
    })
  })
}

/** The PIDs whose parent is `pid` (read from /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      // The command is in parentheses and may contain spaces; the parent PID is the 2nd field after it.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === pid) children.push(Number(entry))
    } catch {
      // The process ended while we looked.
    }
  }
  return children
}

function signalTree(pid: number, signal: NodeJS.Signals): void {
  const all = [pid, ...childrenOf(pid)]
  for (const target of all) {
    try {
      process.kill(target, signal)
    } catch {
      // Already gone.
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function waitUntil(what: string, check: () => Promise<boolean> | boolean, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

// ---------------------------------------------------------------- PostgreSQL

export async function startPrivatePostgres(): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pt-faults-pg-'))
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
  chownSync(dir, uid, gid)
  const data = join(dir, 'data')
  const asPostgres = (command: string, args: string[]) =>
    execFileSync('runuser', ['-u', 'postgres', '--', `${POSTGRES_BIN}/${command}`, ...args], { stdio: 'pipe' })
  // --no-sync only for initdb's own files; the server runs with fsync=on.
  asPostgres('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8'])
  const port = await freePort()
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=on',
    '-c max_connections=120',
    '-c shared_buffers=32MB',
  ].join(' ')
  const start = () => asPostgres('pg_ctl', ['-D', data, '-o', options, '-l', join(dir, 'log'), '-w', '-t', '60', 'start'])
  const pid = () => Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  start()
  const admin = (database: string) => new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database })
  const sqlOn = async (database: string, text: string) => {
    const client = admin(database)
    client.on('error', () => undefined)
    await client.connect()
    try {
      return (await client.query(text)).rows as Record<string, unknown>[]
    } finally {
      await client.end().catch(() => undefined)
    }
  }
  await sqlOn('postgres', 'create database faults')
  let current = pid()
  return {
    kind: 'postgresql',
    url: `postgres://postgres@127.0.0.1:${port}/faults`,
    port,
    pid: () => current,
    sql: (text) => sqlOn('faults', text),
    async restart(mode) {
      if (mode === 'kill') {
        const victim = current
        signalTree(victim, 'SIGKILL')
        await waitUntil('the killed postmaster to go', () => !alive(victim) && childrenOf(victim).length === 0)
        rmSync(join(data, 'postmaster.pid'), { force: true })
      } else {
        asPostgres('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop'])
      }
      start()
      current = pid()
    },
    freeze() {
      signalTree(current, 'SIGSTOP')
    },
    thaw() {
      signalTree(current, 'SIGCONT')
    },
    async killConnections() {
      const rows = await sqlOn(
        'faults',
        "select count(*) filter (where pg_terminate_backend(pid)) as n from pg_stat_activity where datname = 'faults' and pid <> pg_backend_pid()",
      )
      return Number(rows[0]?.n ?? 0)
    },
    stop() {
      signalTree(current, 'SIGCONT')
      try {
        asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', '-t', '30', 'stop'])
      } catch {
        signalTree(current, 'SIGKILL')
      }
      rmSync(dir, { recursive: true, force: true })
      return Promise.resolve()
    },
  }
}

// ---------------------------------------------------------------- MariaDB

export async function startPrivateMariadb(): Promise<PrivateServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pt-faults-maria-'))
  const data = join(dir, 'data')
  const socket = join(dir, 'mysqld.sock')
  execFileSync(
    'mariadb-install-db',
    ['--no-defaults', `--datadir=${data}`, '--user=root', '--skip-test-db', '--auth-root-authentication-method=normal'],
    {
      stdio: 'pipe',
    },
  )
  const port = await freePort()
  let child: ChildProcess | undefined
  const start = async () => {
    child = spawn(
      'mariadbd',
      [
        '--no-defaults',
        `--datadir=${data}`,
        `--port=${port}`,
        `--socket=${socket}`,
        '--bind-address=127.0.0.1',
        '--user=root',
        '--skip-grant-tables',
        '--skip-name-resolve',
        '--innodb-buffer-pool-size=64M',
        '--innodb-flush-log-at-trx-commit=1',
        '--max-connections=200',
        `--log-error=${join(dir, 'error.log')}`,
        `--pid-file=${join(dir, 'mysqld.pid')}`,
      ],
      { stdio: 'ignore' },
    )
    child.on('error', () => undefined)
    await waitUntil('MariaDB to accept connections', async () => {
      try {
        const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' })
        await connection.end()
        return true
      } catch {
        return false
      }
    })
  }
  await start()
  const sqlOn = async (database: string | undefined, text: string) => {
    const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root', database })
    connection.on('error', () => undefined)
    try {
      const [rows] = await connection.query(text)
      return (Array.isArray(rows) ? rows : []) as Record<string, unknown>[]
    } finally {
      await connection.end().catch(() => undefined)
    }
  }
  await sqlOn(undefined, 'create database faults character set utf8mb4 collate utf8mb4_bin')
  const pid = () => child?.pid ?? 0
  const exited = (process: ChildProcess | undefined) =>
    new Promise<void>((resolve) => {
      if (!process || process.exitCode !== null || process.signalCode !== null) resolve()
      else
        process.once('exit', () => {
          resolve()
        })
    })
  return {
    kind: 'mysql',
    url: `mysql://root@127.0.0.1:${port}/faults`,
    port,
    pid,
    sql: (text) => sqlOn('faults', text),
    async restart(mode) {
      const old = child
      if (mode === 'kill') signalTree(pid(), 'SIGKILL')
      // MariaDB has no "immediate" shutdown; SIGTERM is its clean one (fast and immediate alike).
      else process.kill(pid(), 'SIGTERM')
      await exited(old)
      await start()
    },
    freeze() {
      signalTree(pid(), 'SIGSTOP')
    },
    thaw() {
      signalTree(pid(), 'SIGCONT')
    },
    async killConnections() {
      const connection = await mysql.createConnection({ host: '127.0.0.1', port, user: 'root' })
      connection.on('error', () => undefined)
      try {
        const [rows] = await connection.query("select id from information_schema.processlist where db = 'faults' and id <> connection_id()")
        let killed = 0
        for (const row of rows as { id: number }[]) {
          await connection.query(`kill connection ${Number(row.id)}`).then(
            () => killed++,
            () => undefined,
          )
        }
        return killed
      } finally {
        await connection.end().catch(() => undefined)
      }
    },
    async stop() {
      const old = child
      signalTree(pid(), 'SIGCONT')
      signalTree(pid(), 'SIGKILL')
      await exited(old)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
