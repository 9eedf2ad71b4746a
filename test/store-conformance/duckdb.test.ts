import { storeConformance } from './cases.js';
import { duckdbFactory } from './factories.js';

storeConformance('DuckDbStore', duckdbFactory, () => true);
