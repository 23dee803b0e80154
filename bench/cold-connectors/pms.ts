import connector from '../../connectors/pms.ts';
import { cold } from './_cold.ts';

export default cold(connector);
