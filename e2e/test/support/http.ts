/** A tiny JSON client for e2e tests that records every response body (to search them for secrets). */
export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

export class ApiClient {
  readonly bodies: string[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  as(token: string): ApiClient {
    const other = new ApiClient(this.baseUrl, token);
    other.bodies.push(...this.bodies);
    return other;
  }

  async call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    this.bodies.push(text);
    return { status: response.status, body: (text ? JSON.parse(text) : {}) as T, headers: response.headers };
  }

  get = <T = Record<string, unknown>>(path: string) => this.call<T>('GET', path);
  post = <T = Record<string, unknown>>(path: string, body?: unknown, headers?: Record<string, string>) =>
    this.call<T>('POST', path, body, headers);
  put = <T = Record<string, unknown>>(path: string, body: unknown) => this.call<T>('PUT', path, body);
  patch = <T = Record<string, unknown>>(path: string, body: unknown) => this.call<T>('PATCH', path, body);
  delete = <T = Record<string, unknown>>(path: string) => this.call<T>('DELETE', path);
}
