import connector from '../../connectors/crm.ts';
import { cold } from './_cold.ts';

export default cold(connector);
