import { beforeAll, describe, expect, it } from 'vitest'
import { ConflictError, type DataStore } from '../../src/index.ts'
import { contextOf } from '../../src/store/context.ts'
import { prepare, type Slots } from '../../src/store/prepared.ts'
import { Tx, transaction } from '../../src/store/transaction.ts'
import { DIALECTS, useIsolatedStore } from '../support/dialects.ts'

// Prepared statements inside a transaction run straight on the transaction's connection on SQLite
// (issue 15) and through Kysely's executor elsewhere: either way the driver still counts them,
// rewrites their values, rolls them back with the transaction and reports their errors.
for (const dialect of DIALECTS) {
  describe(`${dialect}: prepared statements in transactions`, () => {
    const isolated = useIsolatedStore(dialect)
    let store: DataStore
    beforeAll(() => {
      store = isolated.store
    })

    const insertActor = prepare((db, p: Slots<{ name: string; by: string }>) =>
      db.insertInto('actor_lkup').values({ actor_name: p.name, created_by: p.by, updated_by: p.by }),
    )
    const actorCount = prepare((db, p: Slots<{ name: string }>) =>
      db
        .selectFrom('actor_lkup')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('actor_name', '=', p.name),
    )
    const countOf = async (name: string) => Number((await actorCount.rows(contextOf(store), { name }))[0]?.n)

    it('counts each statement once, and commits what the transaction wrote', async () => {
      const ctx = contextOf(store)
      const before = { ...ctx.counts }
      await transaction(ctx, async (tx) => {
        await insertActor.execute(tx, { name: 'direct a', by: 'test' })
        expect(Number((await actorCount.rows(tx, { name: 'direct a' }))[0]?.n)).toBe(1)
        expect(await insertActor.affected(tx, { name: 'direct b', by: 'test' })).toBe(1)
      })
      // BEGIN, three statements, COMMIT; one commit.
      expect(ctx.counts.statements - before.statements).toBe(5)
      expect(ctx.counts.commits - before.commits).toBe(1)
      expect(await countOf('direct a')).toBe(1)
      expect(await countOf('direct b')).toBe(1)
    })

    it('rolls back with the transaction, and a second transaction on the store runs on after it', async () => {
      const ctx = contextOf(store)
      await expect(
        transaction(ctx, async (tx) => {
          await insertActor.execute(tx, { name: 'direct rolled back', by: 'test' })
          throw new Error('changed my mind')
        }),
      ).rejects.toThrow('changed my mind')
      expect(await countOf('direct rolled back')).toBe(0)
      await transaction(ctx, (tx) => insertActor.execute(tx, { name: 'direct after', by: 'test' }))
      expect(await countOf('direct after')).toBe(1)
    })

    it('a driver error inside the transaction reaches the caller translated, with nothing written', async () => {
      const ctx = contextOf(store)
      await transaction(ctx, (tx) => insertActor.execute(tx, { name: 'direct twice', by: 'test' }))
      await expect(
        transaction(ctx, async (tx) => {
          await insertActor.execute(tx, { name: 'direct other', by: 'test' })
          await insertActor.execute(tx, { name: 'direct twice', by: 'test' })
        }),
      ).rejects.toBeInstanceOf(ConflictError)
      expect(await countOf('direct twice')).toBe(1)
      expect(await countOf('direct other')).toBe(0)
    })

    it('Dates are bound the same way inside a transaction and outside one', async () => {
      const ctx = contextOf(store)
      const when = new Date('2021-03-04T05:06:07.890Z')
      const stamp = prepare((db, p: Slots<{ name: string; when: Date }>) =>
        db.updateTable('actor_lkup').set({ update_date_time: p.when }).where('actor_name', '=', p.name),
      )
      const read = prepare((db, p: Slots<{ name: string }>) =>
        db.selectFrom('actor_lkup').select('update_date_time').where('actor_name', '=', p.name),
      )
      await transaction(ctx, (tx) => stamp.execute(tx, { name: 'direct a', when }))
      await stamp.execute(ctx, { name: 'direct b', when })
      const inside = (await read.rows(ctx, { name: 'direct a' }))[0]?.update_date_time
      const outside = (await read.rows(ctx, { name: 'direct b' }))[0]?.update_date_time
      expect(inside).toBeDefined()
      // The same value through either path: the driver's Date rewrite ran on both.
      expect(inside).toEqual(outside)
    })

    it('a Tx over the store itself (no transaction) runs its statements through the store', async () => {
      const ctx = contextOf(store)
      const tx = new Tx(ctx.db, ctx)
      const before = ctx.counts.commits
      await insertActor.execute(tx, { name: 'direct outside', by: 'test' })
      // A write outside BEGIN … COMMIT commits by itself.
      expect(ctx.counts.commits - before).toBe(1)
      expect(await countOf('direct outside')).toBe(1)
    })
  })
}
