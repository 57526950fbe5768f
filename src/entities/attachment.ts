import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from "typeorm";
import { Message } from "./message";

export type AttachmentFileType = "image" | "audio" | "video" | "file" | "location" | "fallback" | "share" | "story_mention" | "contact" | "ig_reel";

/** A file or location carried by a message. Files live elsewhere; the row keeps their URLs. */
@Entity({ name: "attachments" })
@Index("index_attachments_on_message_id", ["messageId"])
export class Attachment {
  @PrimaryGeneratedColumn()
  id: number;

  @Column({ name: "account_id", type: "int" })
  accountId: number;

  @Column({ name: "message_id", type: "int" })
  messageId: number;

  @ManyToOne(() => Message, (message) => message.attachments, { onDelete: "CASCADE" })
  @JoinColumn({ name: "message_id" })
  message?: Message;

  @Column({ name: "file_type", type: "varchar", length: 16, default: "image" })
  fileType: AttachmentFileType;

  @Column({ name: "external_url", type: "text", nullable: true })
  externalUrl: string | null;

  @Column({ name: "data_url", type: "text", nullable: true })
  dataUrl: string | null;

  @Column({ name: "thumb_url", type: "text", nullable: true })
  thumbUrl: string | null;

  @Column({ type: "varchar", length: 32, nullable: true })
  extension: string | null;

  /** The file's MIME type (`"application/pdf"`), sent as the attachment's `content_type`; null when unknown. */
  @Column({ name: "content_type", type: "varchar", length: 255, nullable: true })
  contentType: string | null;

  @Column({ name: "file_size", type: "int", nullable: true })
  fileSize: number | null;

  @Column({ type: "int", nullable: true })
  width: number | null;

  @Column({ type: "int", nullable: true })
  height: number | null;

  @Column({ name: "fallback_title", type: "text", nullable: true })
  fallbackTitle: string | null;

  @Column({ name: "coordinates_lat", type: "double precision", nullable: true })
  coordinatesLat: number | null;

  @Column({ name: "coordinates_long", type: "double precision", nullable: true })
  coordinatesLong: number | null;

  @CreateDateColumn({ name: "created_at", type: "timestamptz" })
  createdAt: Date;
}
