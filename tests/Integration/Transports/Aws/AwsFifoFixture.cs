using Messaging.Adapters.Aws;

namespace Messaging.Adapters.Integration.Transports.Aws;

/// <summary>
/// Runs the conformance suite against SQS and SNS with every queue and topic FIFO (<see cref="AwsTransportOptions.Fifo"/>):
/// SQS FIFO queues and SNS FIFO topics, the key as message group id and the message id as deduplication id, so the
/// transport declares <see cref="TransportCapabilities.OrderingByKey"/> and the ordering scenarios run here. Same
/// endpoint, variables and knobs as <see cref="AwsFixture"/> (see <see cref="AwsTransportFixture"/>).
/// </summary>
public sealed class AwsFifoFixture : AwsTransportFixture
{
    /// <inheritdoc />
    /// <value><c>Aws(fifo)</c>.</value>
    public override string TransportLabel => TransportName + "(fifo)";

    /// <inheritdoc />
    protected override AwsTransportOptions Options
    {
        get
        {
            var options = base.Options;
            options.Fifo = true;
            return options;
        }
    }
}
