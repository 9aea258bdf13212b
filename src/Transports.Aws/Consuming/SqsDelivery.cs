using Messaging.Adapters.Transport;

namespace Messaging.Adapters.Aws.Consuming;

/// <summary>One SQS message handed to a consumer, with the receipt handle that settles it.</summary>
internal sealed class SqsDelivery(ReceivedMessage message, DeliveryScope scope, string receiptHandle, string sqsMessageId) : InboundDelivery(message, scope)
{
    /// <summary>SQS's id of the message, the same on every receive.</summary>
    public string SqsMessageId { get; } = sqsMessageId;

    /// <summary>What deletes the message or changes its visibility; valid while this receive's visibility lasts.</summary>
    public string ReceiptHandle { get; } = receiptHandle;
}
