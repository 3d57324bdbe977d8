/** The hostile-input run (npm run test:fuzz). */
import base from './jest.config.js';

export default { ...base, testMatch: ['<rootDir>/test/fuzz/**/*.fuzz.ts'], maxWorkers: 1, testTimeout: 600000 };
