import { Column } from "typeorm";

/**
 * A signing secret's last rotation, embedded (without prefix) in `Webhook`, `ChannelApi` and
 * `AgentBot`. While `previousSecretExpiresAt` is in the future, deliveries are signed with the
 * previous secret as well as the current one (see `rotate_secret` in the README). For an API
 * inbox or an agent bot, the channel's or bot's columns are the record; the triggers copy the
 * previous secret and its expiry onto their `webhooks` rows, which is what delivery reads.
 */
export class SecretRotation {
  /** The secret before the last rotation; null when there was no overlap or it was ended early. */
  @Column({ name: "previous_secret", type: "varchar", length: 255, nullable: true })
  previousSecret: string | null;

  /** Until when the previous secret is signed with (or when the overlap was ended early). */
  @Column({ name: "previous_secret_expires_at", type: "timestamptz", nullable: true })
  previousSecretExpiresAt: Date | null;

  /** When the secret was last rotated; null if never. */
  @Column({ name: "secret_rotated_at", type: "timestamptz", nullable: true })
  rotatedAt: Date | null;

  /** Who rotated it: the `userId` the authentication gave (no foreign key: a host's own users may sign in). */
  @Column({ name: "secret_rotated_by_id", type: "int", nullable: true })
  rotatedById: number | null;
}
