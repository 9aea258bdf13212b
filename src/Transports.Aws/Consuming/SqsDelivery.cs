using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Aws.Consuming;

/// <summary>One SQS message handed to a consumer, with the receipt handle that settles it.</summary>
internal sealed class SqsDelivery(ReceivedMessage message, DeliveryScope scope, string receiptHandle) : InboundDelivery(message, scope)
{
    /// <summary>What deletes the message or changes its visibility; valid while this receive's visibility lasts.</summary>
    public string ReceiptHandle { get; } = receiptHandle;
}
