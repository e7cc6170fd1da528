CREATE TABLE `connectors` (
	`id` text PRIMARY KEY NOT NULL,
	`attached` integer DEFAULT false NOT NULL,
	`attached_at` integer,
	`last_seen_at` integer,
	`lease_expires_at` integer,
	`lease_epoch` integer DEFAULT 0 NOT NULL,
	`load` integer DEFAULT 0 NOT NULL,
	`draining` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
