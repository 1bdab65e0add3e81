import { helpdeskContract } from './helpdesk-contract.ts';
import { freshserviceTarget } from './targets.ts';

helpdeskContract(freshserviceTarget());
