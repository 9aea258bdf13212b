using Messaging.Adapters;
using OrderWorkflow.Story;

namespace OrderWorkflow.Services;

/// <summary>
/// Makes a service's event handler idempotent. Delivery is at least once on every transport (a publisher that lost
/// a confirm publishes again, a consumer that crashed before acknowledging gets the message again), so each
/// service remembers the message ids it handled and skips a second copy.
/// </summary>
internal static class Inbox
{
    public static MessageHandler Protect(MessageHandler handler, IIdempotencyStore store, string service, Narrator narrator, Milestones milestones) =>
        IdempotentHandler.Wrap(handler, store, consumer: service, onDuplicate: duplicate =>
        {
            narrator.Say(service, $"duplicate {duplicate.Envelope.Type} {duplicate.Envelope.Key} skipped");
            milestones.Mark($"duplicate:{service}:{duplicate.Envelope.Key}");
        });
}
