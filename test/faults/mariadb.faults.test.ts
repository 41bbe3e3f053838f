import { defineServerFaultSuite } from './support/server-suite.ts'

// Its own MariaDB (mariadb-install-db on a free port, own datadir and socket), never the shared server.
defineServerFaultSuite('mysql')
