// The eval contract: requests and results as JSON, kernel profiles by name, one call explained,
// and the errors every layer above reports. Sources: docs/eval-contract.md.

export * from './errors';
export * from './profiles';
export * from './request';
export * from './explain';
