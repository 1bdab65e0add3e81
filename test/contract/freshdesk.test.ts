import { helpdeskContract } from './helpdesk-contract.ts';
import { freshdeskTarget } from './targets.ts';

helpdeskContract(freshdeskTarget());
