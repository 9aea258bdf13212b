namespace Messaging.Adapters.Hosting;

/// <summary>
/// One consumer the hosted service starts with the application and stops, gracefully, with it.
/// </summary>
/// <param name="Description">What it consumes, for logs and errors, for example <c>queue 'payments'</c>.</param>
/// <param name="Start">Starts the consumer on the application's transport.</param>
public sealed record ConsumerRegistration(string Description, Func<IServiceProvider, ITransport, CancellationToken, Task<IConsumer>> Start);
