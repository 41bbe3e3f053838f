import { randomFillSync } from 'node:crypto'

let lastMs = 0
let sequence = 0

// Random bytes are drawn 4 KiB at a time: a call into OpenSSL per id cost more than the rest of
// making the id, and every start makes one.
const POOL_SIZE = 4096
const pool = Buffer.alloc(POOL_SIZE)
let poolOffset = POOL_SIZE

/** 16 fresh random bytes, copied out of the pool (each pool byte is handed out once). */
function random16(): Buffer {
  if (poolOffset + 16 > POOL_SIZE) {
    randomFillSync(pool)
    poolOffset = 0
  }
  const bytes = Buffer.allocUnsafe(16)
  pool.copy(bytes, 0, poolOffset, poolOffset + 16)
  poolOffset += 16
  return bytes
}

/**
 * A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Within one millisecond the
 * 12-bit `rand_a` field counts up from a random start, so ids made by one process sort in the order
 * they were made (what a lineage tool shows as run order); across processes, by millisecond.
 */
export function uuidv7(now: number = Date.now()): string {
  const bytes = random16()
  if (now > lastMs) {
    lastMs = now
    sequence = bytes.readUInt16BE(6) & 0x7ff // room to count up before the 12 bits overflow
  } else {
    sequence = (sequence + 1) & 0xfff
    if (sequence === 0) lastMs += 1 // 4,096 ids in one millisecond: borrow the next one
  }
  bytes.writeUIntBE(lastMs, 0, 6)
  bytes[6] = 0x70 | (sequence >> 8)
  bytes[7] = sequence & 0xff
  return format(bytes)
}

/**
 * A UUIDv7 whose time is `ms` exactly (a run imported from history gets its start time), with
 * random `rand_a`: unlike {@link uuidv7} it neither reads nor moves the process's monotonic clock,
 * so a past time is kept rather than raised to the newest one made. Times outside 1970…10889 are
 * clamped to the 48-bit field.
 */
export function uuidv7At(ms: number): string {
  const bytes = random16()
  bytes.writeUIntBE(Math.min(Math.max(0, Math.trunc(ms)), 2 ** 48 - 1), 0, 6)
  bytes[6] = 0x70 | ((bytes[6] ?? 0) & 0x0f)
  return format(bytes)
}

/** Sets the variant bits and writes the 8-4-4-4-12 text form. */
function format(bytes: Buffer): string {
  bytes[8] = 0x80 | ((bytes[8] ?? 0) & 0x3f) // variant 10
  const hex = bytes.toString('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}
