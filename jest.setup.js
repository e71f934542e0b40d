require('reflect-metadata');
process.env.TZ = 'UTC';
