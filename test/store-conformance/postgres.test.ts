import { storeConformance } from './cases.js';
import { usePostgres } from './factories.js';

const pg = usePostgres();
storeConformance('PostgresStore', pg.factory, pg.ready);
