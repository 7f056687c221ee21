// The one error boundary of a command or action listener: log the error with its context, show the
// person a short apology (never a stack trace).
import type { Logger } from '../../logger.ts';
import type { RenderedMessage } from '../render/blocks.ts';
import { md } from '../render/mrkdwn.ts';
import { renderNotice } from '../render/replies.ts';

export async function answerOrApologise(
  logger: Logger,
  context: Record<string, unknown>,
  work: () => Promise<RenderedMessage>,
): Promise<RenderedMessage> {
  try {
    return await work();
  } catch (error) {
    logger.error({ err: error, ...context }, 'slack: listener failed');
    return renderNotice(
      md`:warning: Sorry, something went wrong on Heed's side. It has been logged; please try again in a minute.`,
    );
  }
}
