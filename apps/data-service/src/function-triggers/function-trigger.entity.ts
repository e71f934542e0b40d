import type { ExecutionType } from '@signalbox/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ schema: 'data', name: 'function_triggers' })
export class FunctionTriggerEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'workspace_slug', type: 'text' }) workspaceSlug!: string;
  @Column('text') name!: string;
  @Column('text') description!: string;
  @Column({ name: 'function_id', type: 'uuid' }) functionId!: string;
  @Column({ name: 'execution_type', type: 'text' }) executionType!: ExecutionType;
  @Column({ name: 'trigger_metadata', type: 'jsonb' }) triggerMetadata!: Record<string, unknown>;
  @Column('boolean') enabled!: boolean;
  @Column({ name: 'is_system', type: 'boolean' }) isSystem!: boolean;
  @Column('integer') version!: number;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'updated_by', type: 'text' }) updatedBy!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ schema: 'data', name: 'function_trigger_versions' })
export class FunctionTriggerVersionEntity {
  @PrimaryColumn({ name: 'trigger_id', type: 'uuid' }) triggerId!: string;
  @PrimaryColumn('integer') version!: number;
  @Column({ name: 'workspace_slug', type: 'text' }) workspaceSlug!: string;
  @Column('text') change!: string;
  @Column('jsonb') snapshot!: Record<string, unknown>;
  @Column({ name: 'changed_by', type: 'text' }) changedBy!: string;
  @Column({ name: 'changed_at', type: 'timestamptz' }) changedAt!: Date;
}

@Entity({ schema: 'data', name: 'function_trigger_drafts' })
export class FunctionTriggerDraftEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column({ name: 'workspace_slug', type: 'text' }) workspaceSlug!: string;
  @Column({ type: 'text', nullable: true }) name!: string | null;
  @Column('text') description!: string;
  @Column({ name: 'function_id', type: 'text', nullable: true }) functionId!: string | null;
  @Column({ name: 'execution_type', type: 'text', nullable: true }) executionType!: ExecutionType | null;
  @Column({ name: 'trigger_metadata', type: 'jsonb' }) triggerMetadata!: Record<string, unknown>;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'updated_by', type: 'text' }) updatedBy!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
