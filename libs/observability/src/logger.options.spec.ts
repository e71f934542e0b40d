import { redactQuery } from './logger.options';

describe('redactQuery', () => {
  it('hides the values of credential-looking query parameters in access logs, and nothing else', () => {
    expect(redactQuery('/workspace/acme/api/v1/webhook/hook?token=s3cret&order=7')).toBe(
      '/workspace/acme/api/v1/webhook/hook?token=%5Bredacted%5D&order=7',
    );
    expect(redactQuery('/x?api_key=a&Signature=b&sig=c')).not.toMatch(/=a|=b|=c/);
    expect(redactQuery('/x?order=7&page=2')).toBe('/x?order=7&page=2');
    expect(redactQuery('/health/ready')).toBe('/health/ready');
  });
});
