import type { ViteUserConfig } from 'vitest/config';

// Tests import workspace packages from their TypeScript sources (the "source" export
// condition), so a change is tested without rebuilding dependents first.
export const sharedTestConfig: ViteUserConfig = {
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    include: ['src/**/*.test.ts', '**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
  },
};
