import connector from '../../connectors/pos.ts';
import { cold } from './_cold.ts';

export default cold(connector);
