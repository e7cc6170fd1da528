ALTER TABLE `webhook_jobs` ADD `claim` text;--> statement-breakpoint
ALTER TABLE `webhook_jobs` ADD `claimed_until` integer;