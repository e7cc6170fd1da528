ALTER TABLE `sessions` ADD `status_reason` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `status_since` integer;--> statement-breakpoint
ALTER TABLE `sessions` ADD `expected_phone` text;--> statement-breakpoint
ALTER TABLE `sessions` ADD `start_epoch` integer DEFAULT 0 NOT NULL;