/** `GET /api/v1/events`: Server-Sent Events of run changes by any writer (see event-feed.ts). */
import { z } from 'zod'
import { addRoute, type RouteContext } from '../route.ts'
import { parseCursor, type EventFeed, type Subscriber } from '../event-feed.ts'

/** A comment line this often keeps proxies from closing an idle stream. */
export const KEEP_ALIVE_MS = 15_000

/** Adds the events route; returns a function that ends every open stream (for shutdown). */
export function addEventRoutes(context: RouteContext, feed: EventFeed): () => void {
  const open = new Set<() => void>()
  addRoute(context, {
    method: 'GET',
    url: '/api/v1/events',
    scope: 'read',
    tag: 'events',
    summary: 'Server-Sent Events: `event: run`, `id: <cursor>`, `data: RUN`; reconnect with Last-Event-ID to get what was missed',
    responses: { 200: z.string().meta({ description: 'text/event-stream' }) },
    handler: async ({ request, reply }) => {
      const header = request.headers['last-event-id']
      const cursor = parseCursor(Array.isArray(header) ? header[0] : header)
      reply.hijack()
      const raw = reply.raw
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      })
      raw.write('retry: 1000\n\n')
      const subscriber: Subscriber = {
        sent: new Set(),
        send: (event) => raw.write(`event: run\nid: ${event.cursor}\ndata: ${event.data}\n\n`),
      }
      const keepAlive = setInterval(() => raw.write(': keep-alive\n\n'), KEEP_ALIVE_MS)
      const end = () => {
        clearInterval(keepAlive)
        feed.unsubscribe(subscriber)
        open.delete(end)
        if (!raw.writableEnded) raw.end()
      }
      open.add(end)
      request.raw.on('close', end)
      try {
        await feed.subscribe(subscriber, cursor)
      } catch (error) {
        request.log.error({ err: error }, 'event subscription failed')
        end()
      }
      if (raw.writableEnded) feed.unsubscribe(subscriber)
    },
  })
  return () => {
    for (const end of [...open]) end()
  }
}
