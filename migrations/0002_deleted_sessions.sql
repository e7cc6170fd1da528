CREATE TABLE `deleted_sessions` (
	`session_id` text PRIMARY KEY NOT NULL,
	`auth_epoch` integer NOT NULL,
	`deleted_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL
);
