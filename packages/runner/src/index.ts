export const PACKAGE_NAME = '@cloacina/runner';
