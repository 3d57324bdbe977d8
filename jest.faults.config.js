/** The fault-injection run (npm run test:faults): same transform as the unit and integration tests. */
import base from './jest.config.js';

export default { ...base, testMatch: ['<rootDir>/test/faults/**/*.faults.ts'], maxWorkers: 1, testTimeout: 600000 };
