import { defineServerFaultSuite } from './support/server-suite.ts'

// Its own PostgreSQL 15 (initdb on a free port, fsync=on), never the shared server.
defineServerFaultSuite('postgresql')
