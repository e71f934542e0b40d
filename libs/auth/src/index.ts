export * from './auth.decorators';
export * from './auth.guard';
export * from './auth.module';
export * from './auth.settings';
export * from './jwt.strategy';
export * from './permissions';
export * from './principal';
export * from './token';
