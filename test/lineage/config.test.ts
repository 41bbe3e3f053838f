import { describe, expect, it } from 'vitest'
import { parseIni } from '../../src/config/ini.ts'
import { ConfigError, ValidationError } from '../../src/errors.ts'
import { resolveLineage } from '../../src/lineage/config.ts'
import { checkParentRun, parentFromEnv } from '../../src/lineage/parent.ts'
import { uuidv7 } from '../../src/store/uuid7.ts'

const ini = (text: string) => ({ doc: parseIni(`[DEFAULT]\n${text}`, 'pt.ini'), location: 'pt.ini' })

describe('lineage settings', () => {
  it('is off unless configured', () => {
    expect(resolveLineage(undefined, {}, null)).toBeNull()
    expect(resolveLineage({}, {}, ini('log_level = INFO'))).toBeNull()
  })

  it('takes the OpenLineage clients’ env names, with their defaults', () => {
    expect(resolveLineage(undefined, { OPENLINEAGE_URL: 'http://marquez:5000/', OPENLINEAGE_API_KEY: 'k' }, null)).toEqual({
      namespace: 'processtracker',
      transport: { kind: 'http', url: 'http://marquez:5000/api/v1/lineage', apiKey: 'k' },
      dispatch: false,
    })
    const datahub = resolveLineage(
      undefined,
      { OPENLINEAGE_URL: 'https://datahub:8080', OPENLINEAGE_ENDPOINT: 'openapi/openlineage/api/v1/lineage', OPENLINEAGE_NAMESPACE: 'etl' },
      null,
    )
    expect(datahub).toEqual({
      namespace: 'etl',
      transport: { kind: 'http', url: 'https://datahub:8080/openapi/openlineage/api/v1/lineage', apiKey: null },
      dispatch: false,
    })
  })

  it('resolves option > env > ini, field by field', () => {
    const file = ini('openlineage_url = http://ini:1\nopenlineage_namespace = from-ini\nopenlineage_endpoint = ini/path')
    const env = { OPENLINEAGE_URL: 'http://env:2', OPENLINEAGE_NAMESPACE: 'from-env' }
    expect(resolveLineage({ namespace: 'from-option' }, env, file)).toEqual({
      namespace: 'from-option',
      transport: { kind: 'http', url: 'http://env:2/ini/path', apiKey: null },
      dispatch: false,
    })
    expect(resolveLineage(undefined, {}, file)?.transport).toEqual({ kind: 'http', url: 'http://ini:1/ini/path', apiKey: null })
  })

  it('decodes an encrypted API key from the ini file', () => {
    const config = resolveLineage(
      undefined,
      {},
      ini('openlineage_url = http://m:5000\nopenlineage_api_key = Encrypted w43CqsKawqnCsMOawpLCtcKWw4k='),
    )
    expect(config?.transport).toMatchObject({ apiKey: 'secret-key' })
  })

  it('has file and console transports, and dispatch on request', () => {
    expect(resolveLineage(undefined, {}, ini('openlineage_file = /tmp/events.jsonl'))?.transport).toEqual({
      kind: 'file',
      file: '/tmp/events.jsonl',
    })
    expect(resolveLineage({ transport: 'console', dispatch: true }, {}, null)).toEqual({
      namespace: 'processtracker',
      transport: { kind: 'console' },
      dispatch: true,
    })
  })

  it('OPENLINEAGE_DISABLED=true turns it off whatever else is set', () => {
    expect(resolveLineage({ url: 'http://m:5000' }, { OPENLINEAGE_DISABLED: 'true' }, null)).toBeNull()
    expect(resolveLineage(undefined, { OPENLINEAGE_URL: 'http://m:5000' }, ini('openlineage_disabled = true'))).toBeNull()
    expect(resolveLineage({ url: 'http://m:5000', disabled: false }, { OPENLINEAGE_DISABLED: 'true' }, null)).not.toBeNull()
  })

  it('refuses what cannot work, saying what to set', () => {
    expect(() => resolveLineage({ transport: 'http' }, {}, null)).toThrow(/OPENLINEAGE_URL/)
    expect(() => resolveLineage({ transport: 'file' }, {}, null)).toThrow(/openlineage_file/)
    expect(() => resolveLineage(undefined, {}, ini('openlineage_transport = kafka'))).toThrow(
      /openlineage_transport in pt.ini must be http, file or console/,
    )
    expect(() => resolveLineage({ url: 'ftp://x' }, {}, null)).toThrow(ConfigError)
    expect(() => resolveLineage(undefined, { OPENLINEAGE_URL: 'not a url' }, null)).toThrow(/OPENLINEAGE_URL is not a URL/)
  })
})

describe('parent runs', () => {
  it('reads OPENLINEAGE_PARENT_ID as namespace/name/runId, the name may hold slashes', () => {
    const runId = uuidv7()
    expect(parentFromEnv({ OPENLINEAGE_PARENT_ID: `airflow/dag/task.x/${runId}` })).toEqual({
      namespace: 'airflow',
      name: 'dag/task.x',
      runId,
    })
    expect(parentFromEnv({})).toBeNull()
    expect(() => parentFromEnv({ OPENLINEAGE_PARENT_ID: 'airflow/dag' })).toThrow(ConfigError)
  })

  it('checks the openlineageParent start option', () => {
    expect(() => checkParentRun({ namespace: 'a', name: 'b', runId: 'nope' }, 'openlineageParent')).toThrow(ValidationError)
    expect(checkParentRun(undefined, 'openlineageParent')).toBeUndefined()
  })
})

describe('uuidv7', () => {
  it('makes RFC 9562 version-7 ids that sort in the order they were made', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7())
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    expect([...ids].sort()).toEqual(ids)
    expect(new Set(ids).size).toBe(ids.length)
    expect(Number.parseInt(ids[0]?.replaceAll('-', '').slice(0, 12) ?? '', 16)).toBeGreaterThan(Date.now() - 60_000)
  })
})
