import { helpdeskContract } from './helpdesk-contract.ts';
import { zendeskTarget } from './targets.ts';

helpdeskContract(zendeskTarget());
