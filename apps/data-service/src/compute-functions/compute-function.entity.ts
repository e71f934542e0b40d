import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ schema: 'data', name: 'compute_functions' })
export class ComputeFunctionEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'workspace_slug', type: 'text' }) workspaceSlug!: string;
  @Column('text') name!: string;
  @Column('text') description!: string;
  @Column('text') code!: string;
  @Column({ name: 'timeout_ms', type: 'integer' }) timeoutMs!: number;
  @Column({ name: 'memory_mb', type: 'integer' }) memoryMb!: number;
  @Column('integer') version!: number;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'updated_by', type: 'text' }) updatedBy!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ schema: 'data', name: 'compute_function_versions' })
export class ComputeFunctionVersionEntity {
  @PrimaryColumn({ name: 'function_id', type: 'uuid' }) functionId!: string;
  @PrimaryColumn('integer') version!: number;
  @Column({ name: 'workspace_slug', type: 'text' }) workspaceSlug!: string;
  @Column('text') change!: string;
  @Column('jsonb') snapshot!: Record<string, unknown>;
  @Column({ name: 'changed_by', type: 'text' }) changedBy!: string;
  @Column({ name: 'changed_at', type: 'timestamptz' }) changedAt!: Date;
}
