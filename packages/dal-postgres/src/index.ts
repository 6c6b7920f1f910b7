export const PACKAGE_NAME = '@cloacina/dal-postgres';
