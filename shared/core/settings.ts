/** Time settings of the mesh (the MESH_* variables; see shared/config.ts). */
export interface MeshSettings {
  hostHeartbeatIntervalSeconds: number;
  hostHeartbeatTtlSeconds: number;
  memberHeartbeatIntervalSeconds: number;
  memberHeartbeatTtlSeconds: number;
  maxConnectionTimeSeconds: number;
  eventTtlSeconds: number;
  pollingIntervalSeconds: number;
}

/** Mesh v2's defaults. */
export const DEFAULT_SETTINGS: MeshSettings = {
  hostHeartbeatIntervalSeconds: 60,
  hostHeartbeatTtlSeconds: 150,
  memberHeartbeatIntervalSeconds: 120,
  memberHeartbeatTtlSeconds: 600,
  maxConnectionTimeSeconds: 1500,
  eventTtlSeconds: 10,
  pollingIntervalSeconds: 2,
};
