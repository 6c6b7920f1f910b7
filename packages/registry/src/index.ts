export const PACKAGE_NAME = '@cloacina/registry';
