using Amazon.SQS;

namespace Messaging.Adapters.Aws;

/// <summary>
/// Options of the AWS transport (configuration section <c>Messaging:Aws</c>).
/// </summary>
/// <remarks>
/// <para>How our words map onto AWS's (the services' own features, nothing emulated in the client):</para>
/// <list type="bullet">
/// <item><description>A <b>topic</b> is an SNS topic; a <b>subscription</b> is the SQS queue
/// <c>&lt;topic&gt;.&lt;subscription&gt;</c> subscribed to it with raw message delivery, its filter an SNS filter policy
/// on the message attributes, so SNS drops unmatched messages.</description></item>
/// <item><description>A <b>queue</b> is an SQS queue; a name with a <c>fifo</c> segment (<c>orders.fifo</c>) is a FIFO
/// queue, where the message key is the message group id and the message id the deduplication id. Such a queue (and a
/// FIFO topic's subscription) keeps the order of each key; standard queues do not.</description></item>
/// <item><description>Names: SQS and SNS allow <c>[A-Za-z0-9_-]</c> up to 80 characters, so <c>.</c> becomes <c>-</c>
/// (a FIFO name keeps its <c>.fifo</c> suffix) and a longer name is cut to 71 characters plus a hash of the whole;
/// <c>a.b</c> and <c>a-b</c> therefore name the same queue.</description></item>
/// <item><description><b>Dead letters</b> go to <c>&lt;queue&gt;.dead-letter</c>, which is also the SQS redrive target
/// after <see cref="MaxReceiveCount"/> receives. <b>Delayed retries</b> keep the message invisible for the delay
/// (<c>ChangeMessageVisibility</c>, up to 12 hours); handlers that run long keep it invisible through a heartbeat.</description></item>
/// <item><description>With <see cref="EventBus"/>, a <b>topic</b> is published on an EventBridge bus and a
/// <b>subscription</b> is a rule whose event pattern is built from the filter, targeting the subscription's queue.</description></item>
/// <item><description><b>Streams</b> are not offered (<see cref="TransportCapabilities.Streams"/> is off): SQS and SNS
/// keep no replayable log, and Kinesis is out of this adapter's scope.</description></item>
/// </list>
/// <para>Endpoint, region and credentials come from the AWS SDK's own chain (<c>AWS_ENDPOINT_URL</c>,
/// <c>AWS_ENDPOINT_URL_SQS</c>/<c>_SNS</c>, <c>AWS_REGION</c>, the environment's keys, profiles, container and
/// instance roles) unless set here.</para>
/// </remarks>
public sealed class AwsTransportOptions : TransportOptions
{
    /// <summary>The configuration section these options are read from.</summary>
    public const string SectionName = "Messaging:Aws";

    /// <summary>The largest <see cref="MaxMessageSize"/> that can be set: SQS's and SNS's 1 MiB.</summary>
    public const int MaxMessageSizeLimit = 1024 * 1024;

    /// <summary>The region, for example <c>eu-west-1</c>.</summary>
    /// <value>The default value is <see langword="null"/>: the SDK's chain (<c>AWS_REGION</c>, <c>AWS_DEFAULT_REGION</c>,
    /// the profile, instance metadata).</value>
    public string? Region { get; set; }

    /// <summary>One endpoint for both SQS and SNS, for an emulator or a VPC endpoint.</summary>
    /// <value>The default value is <see langword="null"/>: <c>AWS_ENDPOINT_URL_SQS</c> / <c>AWS_ENDPOINT_URL_SNS</c>,
    /// then <c>AWS_ENDPOINT_URL</c>, then AWS's regional endpoints.</value>
    public Uri? ServiceUrl { get; set; }

    /// <summary>The named profile to take credentials from.</summary>
    /// <value>The default value is <see langword="null"/>: the SDK's default chain (environment, <c>AWS_PROFILE</c>,
    /// container and instance roles).</value>
    public string? Profile { get; set; }

    /// <summary>Whether publishing, sending and consuming create the topics, queues and subscriptions they need on first use.</summary>
    /// <value>The default value is <see langword="true"/>. With <see langword="false"/>, they are created by
    /// <see cref="ITopology.EnsureAsync"/> or by the operator, and a send to a missing queue fails with
    /// <see cref="AwsDestinationNotFoundException"/>.</value>
    public bool ProvisionOnFirstUse { get; set; } = true;

    /// <summary>The largest message on the wire, body and attributes together, in bytes; queues are created with it as
    /// their <c>MaximumMessageSize</c>.</summary>
    /// <value>The default value is 262,144 (256 KiB): what an SNS topic takes unless its <c>MaximumMessageSize</c> is
    /// raised. Valid values are 4,096 to <see cref="MaxMessageSizeLimit"/>.</value>
    /// <remarks><see cref="TransportCapabilities.MaxMessageSize"/> (the body alone) is three quarters of this less 8 KiB
    /// for attributes, so that any body fits: a body that is not UTF-8 text travels base64-encoded.</remarks>
    public int MaxMessageSize { get; set; } = 256 * 1024;

    /// <summary>How long a received message stays invisible to other consumers; the consumer renews it every third of
    /// this while the handler runs.</summary>
    /// <value>The default value is 30 seconds. Valid values are 2 seconds to 12 hours.</value>
    public TimeSpan VisibilityTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one receive waits for messages (SQS long polling).</summary>
    /// <value>The default value is 20 seconds, the most SQS allows. Valid values are 0 to 20 seconds.</value>
    public TimeSpan ReceiveWaitTime { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How many receives of one message SQS allows before it moves the message to the dead-letter queue itself
    /// (the redrive policy's <c>maxReceiveCount</c>): a guard against messages whose consumer keeps crashing.</summary>
    /// <value>The default value is 50. Valid values are 1 to 1,000.</value>
    /// <remarks>Keep it above the retry policy's <see cref="RetryPolicy.MaxAttempts"/>: each delayed retry is a receive.</remarks>
    public int MaxReceiveCount { get; set; } = 50;

    /// <summary>How many times a request that failed for a transient reason (throttling, 5xx, a lost connection) is
    /// tried again, with jittered exponential backoff.</summary>
    /// <value>The default value is 4. Valid values are 0 to 20.</value>
    public int MaxErrorRetry { get; set; } = 4;

    /// <summary>Whether every queue and topic is FIFO, not only those whose name has a <c>fifo</c> segment.</summary>
    /// <value>The default value is <see langword="false"/>: a name such as <c>orders.fifo</c> is FIFO, every other
    /// destination standard.</value>
    /// <remarks>With <see langword="true"/>, every queue, subscription queue and dead-letter queue is an SQS FIFO queue
    /// and every topic an SNS FIFO topic (their AWS names end in <c>.fifo</c>), so application code keeps portable names
    /// and still gets <see cref="TransportCapabilities.OrderingByKey"/> everywhere: the key is the message group id (the
    /// message id where there is no key) and the message id the deduplication id. FIFO's limits apply everywhere too
    /// (AWS's throughput per queue and per message group; a message sent again with the same id within 5 minutes is
    /// dropped). It cannot be combined with <see cref="EventBus"/>, which keeps no order.</remarks>
    public bool Fifo { get; set; }

    /// <summary>The EventBridge event bus topics are published on instead of SNS (name or ARN).</summary>
    /// <value>The default value is <see langword="null"/>: topics are SNS topics.</value>
    /// <remarks>With a bus, a publish is a <c>PutEvents</c> (the message type as <c>detail-type</c>, the message as a
    /// CloudEvents JSON <c>detail</c> with its topic), and a subscription is an EventBridge rule on the bus whose event
    /// pattern is built from the filter, targeting the subscription's SQS queue. Topics are then names inside events:
    /// deleting one deletes nothing. FIFO topics are not offered on a bus.</remarks>
    public string? EventBus { get; set; }

    /// <summary>The <c>source</c> of the events published on <see cref="EventBus"/>.</summary>
    /// <value>The default value is <c>messaging.adapters</c>. It must not start with <c>aws.</c>.</value>
    public string EventSource { get; set; } = "messaging.adapters";

    /// <summary>Changes the AWS SDK's SQS client configuration after the transport has set it.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    /// <remarks>The escape hatch for settings these options do not cover (proxies, timeouts, HTTP client factories).
    /// It runs last and can break the library's guarantees. The SQS client itself is <see cref="AwsTransport.Sqs"/>.</remarks>
    public Action<AmazonSQSConfig>? ConfigureSqs { get; set; }

    /// <summary>Whether the destination is FIFO: every destination with <see cref="Fifo"/>, else a name with a
    /// <c>fifo</c> segment.</summary>
    internal bool IsFifo(string destination) => Fifo || Topology.AwsNames.IsFifo(destination);

    /// <summary>The options, for logs (no credentials are held here).</summary>
    /// <returns>A description of the options.</returns>
    public override string ToString() =>
        $"Aws {{ Region = {Region ?? "(SDK chain)"}, ServiceUrl = {ServiceUrl?.ToString() ?? "(SDK chain)"}, Profile = {Profile ?? "(default)"}, ProvisionOnFirstUse = {ProvisionOnFirstUse}, MaxMessageSize = {MaxMessageSize}, VisibilityTimeout = {VisibilityTimeout}, Fifo = {Fifo} }}";
}
