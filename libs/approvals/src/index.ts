export * from './approval';
export { ApprovalAction, ApprovalActionRunner } from './approval-action';
export { ApprovalsModule } from './approvals.module';
export { ApprovalPage, ApprovalsService, describeActor } from './approvals.service';
