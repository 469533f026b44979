import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'edgefleet:public';

/** Marks a route that needs no API key (health checks). Everything else requires one. */
export const Public = () => SetMetadata(IS_PUBLIC, true);
