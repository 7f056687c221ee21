// HubSpot's ticket pipelines and their stages as Heed last read them (Pipeline, Stage).
import type { PipelineRow, StageRow } from '../hubspot/map.ts';
import type { Db } from './client.ts';

export class PipelineRepo {
  readonly #db: Pick<Db, 'prisma'>;

  constructor(db: Pick<Db, 'prisma'>) {
    this.#db = db;
  }

  async replace(pipelines: readonly PipelineRow[], stages: readonly StageRow[], now: number): Promise<void> {
    const at = new Date(now);
    await this.#db.prisma.$transaction(async (tx) => {
      for (const p of pipelines) {
        const data = { label: p.label, displayOrder: p.displayOrder, archived: p.archived, updatedAt: at };
        await tx.pipeline.upsert({ where: { id: p.id }, create: { id: p.id, ...data }, update: data });
      }
      for (const s of stages) {
        const data = {
          label: s.label,
          displayOrder: s.displayOrder,
          isClosed: s.isClosed,
          archived: s.archived,
          updatedAt: at,
        };
        await tx.stage.upsert({
          where: { pipelineId_id: { pipelineId: s.pipelineId, id: s.id } },
          create: { pipelineId: s.pipelineId, id: s.id, ...data },
          update: data,
        });
      }
    });
  }

  /** Stage id → closed?, keyed `${pipelineId}/${stageId}`. */
  async stageStates(): Promise<Map<string, boolean>> {
    const stages = await this.#db.prisma.stage.findMany({ select: { pipelineId: true, id: true, isClosed: true } });
    return new Map(stages.map((s) => [`${s.pipelineId}/${s.id}`, s.isClosed]));
  }
}
