/** Who is acting in which workspace: every service call carries it, every query is scoped by it. */
export interface Actor {
  readonly workspace: string;
  readonly subject: string;
}
