import { Module } from '@nestjs/common';
import { ReportRepository } from './report.repository';

@Module({ providers: [ReportRepository], exports: [ReportRepository] })
export class ReportsModule {}
